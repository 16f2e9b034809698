"""Accounts, passwords, login and sessions."""
