"""The ways out, one module each; `receivers.py` holds what the authority-facing channels share."""
