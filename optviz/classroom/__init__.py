"""What the course notes teach, as content: the lessons, the EWA and regression labs, and "explain this
step" (an update rule with one step's numbers substituted)."""
