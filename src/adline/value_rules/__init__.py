"""Conversion value rules (`adcvr_`): change the value of attributed conversion events per
platform, target and event (whop-sdk 2.6.0 `ad_conversion_value_rules`, docs/value-rules.md)."""
