"""Companies (`biz_`): the tenant every object belongs to. Whop's newest API calls it an account."""
