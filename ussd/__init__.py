"""USSD: the engine that walks the menu tree (menus/) for Africa's Talking callbacks."""
