// Adline's ads manager: a little progressive enhancement. Every page works without it
// (a no-script page refreshes itself while something runs); with it, progress is polled.
"use strict";

function poll(url, everyMs, onAnswer) {
  let stopped = false;
  async function tick() {
    if (stopped) return;
    try {
      const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (response.ok && onAnswer(await response.json()) === false) {
        stopped = true;
        return;
      }
    } catch (error) {
      // The server may be restarting; try again on the next tick.
    }
    window.setTimeout(tick, everyMs);
  }
  window.setTimeout(tick, everyMs);
}

function followDuplicate(element) {
  const copyId = element.getAttribute("data-copy-id");
  poll(element.getAttribute("data-poll"), 1000, function (answer) {
    if (!answer.done) return true;
    element.textContent = "";
    if (answer.gone) {
      element.textContent = "The copy failed: its source no longer exists.";
      return false;
    }
    element.append("Done: the copy ");
    const link = document.createElement("a");
    link.href = "/campaigns/" + copyId;
    link.textContent = copyId;
    element.append(link, " is ready (" + answer.status + ").");
    return false;
  });
}

function followDemo(element) {
  const now = element.querySelector("[data-testid='demo-now']");
  const progress = element.querySelector("[data-testid='demo-progress']");
  const running = element.querySelector("[data-testid='demo-running']");
  poll(element.getAttribute("data-poll"), 500, function (state) {
    now.textContent = state.now;
    now.setAttribute("datetime", state.now);
    if (state.progress) {
      progress.max = state.progress.asked;
      progress.value = state.progress.done;
      progress.textContent = state.progress.done + " of " + state.progress.asked + " hours";
    } else {
      progress.max = 1;
      progress.value = 0;
      progress.textContent = "idle";
    }
    running.textContent = state.running_speed
      ? "Running at " + Math.round(state.running_speed) + " simulated hours per second."
      : "Stopped.";
    return true;
  });
}

document.addEventListener("DOMContentLoaded", function () {
  const duplicate = document.querySelector("[data-testid='duplicate-status']");
  if (duplicate && /Duplicating/.test(duplicate.textContent)) followDuplicate(duplicate);
  const demo = document.getElementById("demo");
  if (demo) followDemo(demo);
});
