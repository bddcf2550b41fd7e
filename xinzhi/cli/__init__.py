"""The ``xinzhi`` command line: a thin shell over engine/, store/ and simulations/."""
