"""An example third-party variant package for Temporal Clue Gym."""
