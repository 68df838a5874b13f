"""Platform issues: what a network reported about a campaign, ad group or ad."""
