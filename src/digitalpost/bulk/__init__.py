"""Mass sends: archives of many MeMos accepted item by item, delivered in their own work lane."""
