package app

// epcisHandlers are the EPCIS event messages (issue 4).
func epcisHandlers() []msgHandler { return nil }

// epcisQueries are the EPCIS query paths.
func epcisQueries() map[string]queryHandler { return nil }
