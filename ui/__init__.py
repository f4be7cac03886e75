"""Screen layer: Plotly figure builders, shared Streamlit controls, theme. Math lives in
landscapes/, optimizers/ and analysis/; pages/ are thin scripts on top of this package."""
