"""A local Cord REST API emulator (2021-2022 era or the final 2024 server) for cord-sync's tests, demo and benchmark.

with CordEmulator() as emulator:
    app = emulator.add_app()
    ...  # point the client at emulator.url, sign tokens with app.app_id / app.secret
"""

from cord_emulator.core import App
from cord_emulator.faults import Fault, RequestRecord
from cord_emulator.server import CordEmulator

__all__ = ["App", "CordEmulator", "Fault", "RequestRecord"]
