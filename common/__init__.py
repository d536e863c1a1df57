"""The ground floor under every app: small things all of them share, knowing nothing of any app.

Each app imports from here and nothing here imports an app (the import contract in .importlinter).
"""
