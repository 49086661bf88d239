"""The hall on the day: the door (check-in, occupancy, tickets), the queue (call next, complete,
no-show and its undo), walk-ins (book, declare and check in as one transaction) and the daily
reports."""
