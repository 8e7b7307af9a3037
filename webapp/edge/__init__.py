"""HTTP shared by both surfaces: the one place errors become responses, the envelope,
headers, and the guards every request passes."""
