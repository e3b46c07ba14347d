/* tests/lwip/mboxnet.c: compartment 'net' of the mailbox attack image. */
#ifndef MBOXNET_H
#define MBOXNET_H

/* Makes the mailbox; returns its address (sys_mbox_t), or 0. */
long mboxnet_open(void);
/* The address of its ring of messages. */
long mboxnet_ring(void);
/* Posts msg: 0, or -1 if the mailbox is full. */
long mboxnet_post(long msg);
/* The oldest message, or -1 if there is none. */
long mboxnet_fetch(void);

#endif
