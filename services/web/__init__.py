"""The CARA web application: pages for the people who do the work, over the two services' public APIs."""
