"""Ad campaigns (`adcamp_`): the top of the campaign -> ad group -> ad hierarchy."""
