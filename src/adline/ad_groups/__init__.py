"""Ad groups (`adgrp_`): budgets, schedules and targeting under a campaign (Meta's ad sets)."""
