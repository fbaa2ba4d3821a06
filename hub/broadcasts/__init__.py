"""Loudspeaker bulletins: media, speech, plans, delivery and the as-run log."""
