"""The wallet: accounts (accounts.py) and the money that moves between them (ledger.py)."""
