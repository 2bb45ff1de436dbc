"""mobsim: a discrete-event simulator of emergency mobilisation in grid-governed districts."""

__version__ = "0.1.0"
