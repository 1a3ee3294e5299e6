/* A ready list, doubly linked through the nodes so that any node leaves it in O(1) (a pc
 * removed from its loop, or freed). See ready_list.h. */
#include "common/ready_list.h"

#include <stddef.h>

void brtc_ready_unlink(brtc_ready_node *n) {
  if (!n->queued) return;
  if (n->prev) n->prev->next = n->next;
  else n->list->head = n->next;
  if (n->next) n->next->prev = n->prev;
  n->next = n->prev = NULL;
  n->queued = false;
}

void brtc_ready_mark(brtc_ready_node *n) {
  if (!n->list || n->queued) return;
  n->prev = NULL;
  n->next = n->list->head;
  if (n->next) n->next->prev = n;
  n->list->head = n;
  n->queued = true;
}

void brtc_ready_attach(brtc_ready_node *n, brtc_ready_list *list, void *tag) {
  brtc_ready_unlink(n);
  n->list = list;
  n->tag = list ? tag : NULL;
}

brtc_ready_node *brtc_ready_pop(brtc_ready_list *list) {
  brtc_ready_node *n = list->head;
  if (n) brtc_ready_unlink(n);
  return n;
}
