"""The notification service (消息通知): turns bus events into messages to people — an in-app message
(站内消息) always and an SMS where the person has a phone — once per event, recipient and channel,
plus deadline reminders and the units' daily digest of new submissions (docs/notification.md)."""
