"""Every change to core rows goes through these functions: views, commands and later the API call
the same ones, each in one transaction with its audit event."""
