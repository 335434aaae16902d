"""One module per provider, each behind `base.Provider`; `choose` turns the config into providers."""
