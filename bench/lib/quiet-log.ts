// Imported first by benchmarks that run the panel in-process: its per-job info lines would bury the
// report on stdout (the logger reads LOG_LEVEL when it is first imported; an explicit value wins).
process.env.LOG_LEVEL ??= 'warn';
