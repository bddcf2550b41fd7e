"""One router per resource; ``api.main`` includes each under the ``access.POLICIES`` entry named like its module."""
