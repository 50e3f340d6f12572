"""PDF making shared by the letters and the application book: HTML to PDF/A-3b with prepared CJK fonts."""
