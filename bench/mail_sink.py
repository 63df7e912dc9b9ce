"""A local SMTP server in a process of its own, as a real one would be: it accepts every
message and writes each one's Message-ID on a line of a file, so a benchmark can count
what arrived, and how many times.

    python -m bench.mail_sink PORT FILE
"""

import asyncio
import re
import sys
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

MESSAGE_ID = re.compile(rb"^Message-ID:\s*(\S+)", re.IGNORECASE | re.MULTILINE)


class MessageIds:
    def __init__(self, path: Path) -> None:
        self.file = path.open("ab", buffering=0)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802  (aiosmtpd's name)
        found = MESSAGE_ID.search(envelope.original_content)
        self.file.write((found[1] if found else b"-") + b"\n")
        return "250 2.0.0 accepted"


async def serve(port: int, path: Path) -> None:
    controller = Controller(MessageIds(path), hostname="127.0.0.1", port=port)
    controller.start()
    print("ready", flush=True)
    await asyncio.Event().wait()  # until terminated


if __name__ == "__main__":
    asyncio.run(serve(int(sys.argv[1]), Path(sys.argv[2])))
