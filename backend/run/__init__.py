"""How a run is started and followed: the launchers (this machine, or a Slurm cluster)."""
