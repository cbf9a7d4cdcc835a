"""The statistics job's adapters: the statistics API client, the job's dated log files, and
the exports (CSV files, Google Sheets, e-mail) of the daily figures."""
