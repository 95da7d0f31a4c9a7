"""An aiosmtpd handler that writes every message it accepts to a directory, one file each.

The browser walk reads the approval and password-reset mails from there, so the daemon's real
SMTP client talks to a real SMTP server. Run (from tests/browser, with PYTHONPATH=.):
    /usr/bin/python3 -m aiosmtpd -n -l 127.0.0.1:PORT -c smtp_sink.DirectorySink OUT_DIR
"""
import itertools
import os


class DirectorySink:
    def __init__(self, directory):
        self.directory = directory
        self.counter = itertools.count(1)
        os.makedirs(directory, exist_ok=True)

    @classmethod
    def from_cli(cls, parser, *args):
        if len(args) != 1:
            parser.error("smtp_sink.DirectorySink takes one argument: the output directory")
        return cls(args[0])

    async def handle_DATA(self, server, session, envelope):
        name = "%06d.eml" % next(self.counter)
        tmp = os.path.join(self.directory, "." + name)
        # Written under a hidden name and renamed, so a reader never sees half a message.
        with open(tmp, "wb") as f:
            f.write(envelope.original_content or envelope.content)
        os.rename(tmp, os.path.join(self.directory, name))
        return "250 Message accepted"
