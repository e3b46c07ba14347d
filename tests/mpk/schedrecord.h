/* attack --sched-record (tests/mpk/schedrecord.c). */
#ifndef SCHEDRECORD_H
#define SCHEDRECORD_H

/* Returns the image's status: 0 for the control (none), 1 if a change was used, 2: usage. */
int sched_record(const char *how);

/* attack --sched-timer none|fn|handle|zero|swap|watch: 0 if app's callback ran, and only it. */
int sched_timer(const char *how);

/* attack --sched-thread none|fn|handle|zero: 0 if app's thread ran app's own function. */
int sched_thread(const char *how);

/* attack --sched-many: 0 if threads are made until -EAGAIN, then all joined. */
int sched_many(void);

/* attack --sched-deputy runq|heap: the scheduler's report (abort), or 1 if it wrote app's data. */
int sched_deputy(const char *how);

/* attack --sched-wake none|sem|timeout|mutex: 0 if app's waiter got only what app gave. */
int sched_wake(const char *how);

/* attack --sched-join none|state|result|rec|hijack: 0 if app's join got only what the thread
 * returned. */
int sched_join(const char *how);

/* attack --sched-current none|mutex|switch|first|thread|main: 0 (none), the scheduler's report, or
 * 1 if used. */
int sched_current(const char *how);

/* attack --sched-frame N: 0 if each of app's N new threads ran its own function, 1 if one
 * started where lib1 rewrote its first frame. */
int sched_frame(int n);

/* attack --sched-map N: 0 if app's data stayed as app wrote it and each of N new threads ran
 * its own function, 1 if the scheduler wrote it. */
int sched_map(int n);

/* app makes a scheduler thread and yields to it: 0, or the error (attack --sigreturn). */
int sched_switch_once(void);

#endif
