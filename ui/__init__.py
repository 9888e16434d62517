"""App-side helpers: the cache wrappers around the service and shared widgets (Streamlit lives here, never in monitor/)."""
