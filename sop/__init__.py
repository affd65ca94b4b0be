"""The pure S&OP library: config, contracts, sources, planning maths, alerts, mail.

Never imports prefect; every function is testable with plain pytest.
"""

__version__ = "0.1.0"
