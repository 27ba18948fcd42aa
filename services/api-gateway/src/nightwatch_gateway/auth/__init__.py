"""Who is calling: accounts (people, login tokens), API keys (machines), roles and permissions."""
