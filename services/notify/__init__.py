"""Notifications: in-app messages now; e-mail and SMS channels plug in here later."""
