"""What a run leaves behind: run directories, the zone pipeline, tables, plots and the HTML report."""
