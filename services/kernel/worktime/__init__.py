"""The working calendar: working hours and bank holidays, for timers that count working time."""
