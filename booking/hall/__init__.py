"""The hall on the day: the door (check-in, occupancy, tickets), the queue (call next, complete,
no-show, walk-ins) and the daily reports."""
