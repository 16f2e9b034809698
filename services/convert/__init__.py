"""Conversion of office documents to PDF (LibreOffice headless, kept warm)."""
