"""Figures: the race and its views (Plotly, with animation frames), sweeps and basin maps, the classroom
labs, the contour picture under the map, and the files a lecturer downloads (PNG, GIF, HTML, CSV)."""
