# The mpk backend (not built yet).
