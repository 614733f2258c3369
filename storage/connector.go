package storage

import (
	"context"
	"database/sql"
	"database/sql/driver"
)

// Option changes how Open reaches the database.
type Option func(*options)

type options struct {
	wrap func(driver.Connector) driver.Connector
}

// WrapConnector has Open reach the database through wrap(the driver's
// connector): a benchmark counts the statements a message costs this way
// (storagetest.Counted), seeing exactly what the driver is asked.
func WrapConnector(wrap func(driver.Connector) driver.Connector) Option {
	return func(o *options) { o.wrap = wrap }
}

// openDB is sql.Open, through the connector wrapper opts ask for.
func openDB(driverName, dsn string, opts []Option) (*sql.DB, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if o.wrap == nil {
		return sql.Open(driverName, dsn)
	}
	// sql.Open connects to nothing: it only finds the driver by name.
	probe, err := sql.Open(driverName, dsn)
	if err != nil {
		return nil, err
	}
	drv := probe.Driver()
	probe.Close()
	var c driver.Connector = dsnConnector{dsn: dsn, drv: drv}
	if dc, ok := drv.(driver.DriverContext); ok {
		if c, err = dc.OpenConnector(dsn); err != nil {
			return nil, err
		}
	}
	return sql.OpenDB(o.wrap(c)), nil
}

// dsnConnector is the connector of a driver that has none of its own.
type dsnConnector struct {
	dsn string
	drv driver.Driver
}

func (c dsnConnector) Connect(context.Context) (driver.Conn, error) { return c.drv.Open(c.dsn) }
func (c dsnConnector) Driver() driver.Driver                        { return c.drv }
