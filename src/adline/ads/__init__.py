"""Ads (`ad_`): destination, texts and creatives, inside an ad group."""
