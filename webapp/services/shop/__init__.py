"""The shop: the catalog of products, and orders placed from it (paid from a wallet account)."""
