// A check-in result as a ticket: the queue number large enough to read across the room, the
// station (or event), the day and why the person came; `ticket` comes from check-in-code.js's ticket().
Component({
  properties: {
    ticket: { type: Object, value: {} },
  },
})
