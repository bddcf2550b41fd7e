"""What-if simulations over engine/ and store/ (issue 5)."""
