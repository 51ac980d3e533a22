"""The progressive web app's plumbing: service worker, manifest, offline page, asset URLs."""
