/* A ready list: objects that have output for their driver, linked through a node each object
 * holds, so that putting one on the list is two pointer writes, allocates nothing and calls
 * no one. A brtc_pc puts itself on its loop's list whenever it is called (src/pc/pc_ready.h);
 * the loop takes them off and drains them. */
#ifndef BRTC_COMMON_READY_LIST_H
#define BRTC_COMMON_READY_LIST_H

#include <stdbool.h>

typedef struct brtc_ready_list brtc_ready_list;

typedef struct brtc_ready_node {
  struct brtc_ready_node *next, *prev;
  brtc_ready_list *list; /* the list it goes on when marked; NULL: none */
  void *tag;             /* what the list's owner finds the object by */
  bool queued;
} brtc_ready_node;

struct brtc_ready_list {
  brtc_ready_node *head;
};

/* From now on n goes on list when marked (NULL: on none, and off the one it was on). */
void brtc_ready_attach(brtc_ready_node *n, brtc_ready_list *list, void *tag);
/* On its list, unless it is there already or has none. */
void brtc_ready_mark(brtc_ready_node *n);
void brtc_ready_unlink(brtc_ready_node *n);
/* Takes the first node off; NULL when the list is empty. */
brtc_ready_node *brtc_ready_pop(brtc_ready_list *list);
static inline bool brtc_ready_any(const brtc_ready_list *list) { return list->head != 0; }

#endif
