"""HTTP layer over engine/ and store/ (issue 3)."""
