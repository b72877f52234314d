"""Websockets that follow their credentials: single-use `tickets` for API clients without a
session cookie, closing the sockets of a session that ended (`sessions`, and the `signals`
receivers that call it), and the reads they rest on (`selectors`). The consumer itself is
`chat.consumers.TaskUpdatesConsumer`."""
